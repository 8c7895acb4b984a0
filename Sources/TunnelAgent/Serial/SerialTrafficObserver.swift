import NIOCore

/// Sees the bytes crossing a shared serial port, on the port's event loop.
protocol SerialTrafficObserver: AnyObject {
    /// Bytes the BMS sent.
    func fromBMS(_ bytes: ByteBuffer)
    /// Bytes a session sent to the BMS.
    func fromClient(_ bytes: ByteBuffer)
    /// The control session left; the line's settings may need restoring.
    func controlSessionEnded()
}
