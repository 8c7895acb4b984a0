import SharedWire

extension SerialParameters {
    /// The serial control operations that take a port from these settings to `new`, one per
    /// setting that differs. A speed termios cannot name (read back as 0) is left alone.
    func changes(to new: SerialParameters) -> [SerialControl] {
        var changes: [SerialControl] = []
        if new.baudRate != baudRate, new.baudRate != 0 { changes.append(.setBaudRate(new.baudRate)) }
        if new.dataBits != dataBits { changes.append(.setDataBits(new.dataBits)) }
        if new.parity != parity { changes.append(.setParity(new.parity)) }
        if new.stopBits != stopBits { changes.append(.setStopBits(new.stopBits)) }
        if new.flowControl != flowControl { changes.append(.setFlowControl(new.flowControl)) }
        return changes
    }
}
