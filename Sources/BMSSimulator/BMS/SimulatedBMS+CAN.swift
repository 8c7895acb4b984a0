import SharedWire

/// The BMS's G1 CAN messages, from the same state the serial sentences show.
extension SimulatedBMS {
    /// The summary messages in the order the BMS sends them each period.
    static let periodicCANMessages: [G1CANMessage] = [
        .overallParameters, .batteryVoltage, .moduleTemperature, .balancingRate, .diagnosticCodes, .cellTemperature,
        .stateOfCharge, .energy,
    ]

    /// Everything the BMS sends each CAN period: the summary messages, then the per-cell
    /// groups (voltages, module temperatures, balancing rates, cell temperatures). Groups
    /// number the cells of all strings in a row, 8 to a group.
    public func canFrames(_ builder: G1CANMessageBuilder) -> [CANFrame] {
        Self.periodicCANMessages.flatMap { canFrames(for: $0, builder) }
            + G1CANCellGroup.allCases.flatMap { builder.cellGroups($0, bytes: cellBytes($0)) }
    }

    /// What the BMS answers to a frame from the bus: a zero-length data frame or a remote
    /// frame on a message's ID asks for that message; `[idMSB, idLSB, size]` on 0x0400 asks
    /// for a configuration parameter. Anything else gets nothing.
    public func canAnswer(to frame: CANFrame, _ builder: G1CANMessageBuilder) -> [CANFrame] {
        guard let message = builder.message(forID: frame.id, extended: frame.isExtended) else { return [] }
        if message == .configurationParameter, !frame.isRemote, frame.data.count >= 2 {
            let id = UInt16(frame.data[0]) << 8 | UInt16(frame.data[1])
            guard let parameter = BMSParameter(rawValue: id) else { return [] }
            let size = frame.data.count > 2 ? frame.data[2] : 2
            return [builder.configurationParameter(id: id, size: size, value: UInt32(parameter.value(in: pack)))]
        }
        guard frame.isRemote || frame.data.isEmpty else { return [] }
        return canFrames(for: message, builder)
    }

    /// The frames of one message (one frame, or one per-cell group).
    func canFrames(for message: G1CANMessage, _ builder: G1CANMessageBuilder) -> [CANFrame] {
        switch message {
        case .overallParameters:
            let pins = pack.pins
            return [
                builder.overallParameters(
                    inputs: pins.inputs, outputs: pins.outputs, liveCells: UInt16(clamping: pack.cellCount),
                    chargingStage: pack.chargingStage.rawValue, stageDuration: UInt16(clamping: Int(pack.stageDuration)),
                    lastChargingError: pack.lastChargingError)
            ]
        case .batteryVoltage:
            let (low, high, average) = Self.summary(cellBytes(.voltages), pack.cellVoltages, G1Field.voltageByte)
            return [
                builder.batteryVoltage(
                    minCell: low, maxCell: high, averageCell: average,
                    totalVoltage: UInt32(clamping: Int((pack.totalVoltage * 100).rounded())))
            ]
        case .moduleTemperature:
            let (low, high, average) = Self.summary(cellBytes(.moduleTemperatures), pack.temperatures, G1Field.temperatureByte)
            return [builder.moduleTemperature(min: low, max: high, average: average)]
        case .balancingRate:
            let (low, high, average) = Self.summary(cellBytes(.balancingRates), pack.balancingRates, G1Field.rateByte)
            return [builder.balancingRate(min: low, max: high, average: average)]
        case .cellTemperature:
            let (low, high, average) = Self.summary(cellBytes(.cellTemperatures), pack.cellTemperatures, G1Field.temperatureByte)
            return [builder.cellTemperature(min: low, max: high, average: average)]
        case .diagnosticCodes:
            return [
                builder.diagnosticCodes(
                    protectionFlags: pack.protection.rawValue,
                    powerReductionFlags: pack.powerReduction.rawValue, batteryStatusFlags: pack.statusFlags)
            ]
        case .stateOfCharge:
            return [
                builder.stateOfCharge(
                    current: Int16(clamping: Int((pack.measuredCurrent * 10).rounded())),
                    estimatedCharge: UInt16(clamping: Int((pack.stateOfCharge * pack.capacityAh * 10).rounded())),
                    stateOfCharge: UInt8(clamping: Int((pack.stateOfCharge * 100).rounded())), stateOfHealth: 100)
            ]
        case .energy:
            let trip = pack.trip
            let energyLeft = pack.stateOfCharge * pack.capacityAh * pack.totalVoltage
            return [
                builder.energy(
                    consumption: UInt16(clamping: Int(trip.momentaryConsumption * 10)),
                    energyLeft: UInt16(clamping: Int(energyLeft / 10)),
                    distanceLeft: UInt16(clamping: Int(energyLeft / trip.averageConsumption)),
                    distanceTravelled: UInt16(clamping: Int(trip.totalDistance)))
            ]
        case .cellGroup(let kind, let group):
            let frames = builder.cellGroups(kind, bytes: cellBytes(kind))
            return Int(group) < frames.count ? [frames[Int(group)]] : []
        case .configurationParameter, .contactorControl:
            return []
        }
    }

    /// One byte per cell, all strings in a row.
    private func cellBytes(_ kind: G1CANCellGroup) -> [UInt8] {
        switch kind {
        case .voltages: pack.cellVoltages.map(G1Field.voltageByte)
        case .moduleTemperatures: pack.temperatures.map(G1Field.temperatureByte)
        case .balancingRates: pack.balancingRates.map(G1Field.rateByte)
        case .cellTemperatures: pack.cellTemperatures.map(G1Field.temperatureByte)
        }
    }

    /// Min and max of the bytes, and the byte of the average value.
    private static func summary(_ bytes: [UInt8], _ values: [Double], _ encode: (Double) -> UInt8) -> (UInt8, UInt8, UInt8) {
        let average = values.isEmpty ? 0 : values.reduce(0, +) / Double(values.count)
        return (bytes.min() ?? 0, bytes.max() ?? 0, encode(average))
    }
}
