/// One element of the slcan (serial-line CAN, Lawicel) protocol, either direction.
///
/// Host to adapter: bit-rate, open and close commands, and frames to transmit. Adapter to
/// host: frames received from the bus, and the `ok` (`\r`) or `error` (`\a`) answer to each
/// command.
public enum SLCANMessage: Hashable, Sendable, CustomStringConvertible {
    /// A data or remote frame: `t`/`T` (standard/extended data), `r`/`R` (remote).
    case frame(CANFrame)
    /// `S0`–`S8`: set the bus bit rate (only while the channel is closed).
    case setBitRate(SLCANBitRate)
    /// `O`: open the channel.
    case open
    /// `C`: close the channel.
    case close
    /// A bare `\r`: the adapter's "done".
    case ok
    /// A bell `\a`: the adapter's "refused".
    case error

    public var description: String {
        switch self {
        case .frame(let frame): "frame \(frame)"
        case .setBitRate(let rate): "S\(rate.rawValue) (\(rate.bitsPerSecond) bit/s)"
        case .open: "O"
        case .close: "C"
        case .ok: "OK"
        case .error: "BELL"
        }
    }
}

/// The nine standard slcan bit rates, `S0` to `S8`.
public enum SLCANBitRate: UInt8, CaseIterable, Sendable {
    case kbit10 = 0
    case kbit20, kbit50, kbit100, kbit125, kbit250, kbit500, kbit800, mbit1

    /// The bus speed in bits per second.
    public var bitsPerSecond: Int {
        switch self {
        case .kbit10: 10_000
        case .kbit20: 20_000
        case .kbit50: 50_000
        case .kbit100: 100_000
        case .kbit125: 125_000
        case .kbit250: 250_000
        case .kbit500: 500_000
        case .kbit800: 800_000
        case .mbit1: 1_000_000
        }
    }
}
