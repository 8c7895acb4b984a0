import SharedWire

/// Everything `SimulatorServer` needs: where to serve, the pack, the broadcasts, the CAN port,
/// the journal and the faults.
public struct SimulatorConfiguration: Sendable {
    /// The slcan CAN port.
    public struct CANPort: Sendable {
        /// A symlink to make to the PTY's path; nil for none.
        public let link: String?
        /// Seconds between the BMS's periodic CAN messages while the channel is open.
        public let period: Double
        /// The high 16 bits of the G1 CAN IDs.
        public let base: UInt16

        public init(link: String? = nil, period: Double = 1, base: UInt16 = G1CANMessageBuilder.defaultBase) {
            self.link = link
            self.period = period
            self.base = base
        }
    }

    /// Where G1 is served.
    public let endpoint: SimulatorServer.Endpoint
    /// The pack as it starts.
    public let pack: SimulatedPack
    /// What VR1 reports.
    public let identity: BMSIdentity
    /// The password PW1 must give before writes; nil for none.
    public let password: String?
    /// Seconds between broadcasts of each sentence; a sentence not listed (or 0) is not sent.
    public let broadcastPeriods: [String: Double]
    /// The slcan CAN port; nil for none.
    public let can: CANPort?
    /// A file to append every received line to (JSON lines); nil for none.
    public let journalPath: String?
    /// Faults to inject.
    public let faults: FaultConfiguration
    /// Simulated seconds per real second (the pack and the BMS clock run this much faster).
    public let timeScale: Double

    /// Every broadcast sentence at `period` seconds.
    public static func broadcastPeriods(every period: Double) -> [String: Double] {
        Dictionary(uniqueKeysWithValues: SimulatedBMS.broadcastNames.map { ($0, period) })
    }

    public init(
        endpoint: SimulatorServer.Endpoint = .pty(link: nil), pack: SimulatedPack = SimulatedPack(),
        identity: BMSIdentity = BMSIdentity(), password: String? = nil,
        broadcastPeriods: [String: Double] = SimulatorConfiguration.broadcastPeriods(every: 1), can: CANPort? = nil,
        journalPath: String? = nil, faults: FaultConfiguration = FaultConfiguration(), timeScale: Double = 1
    ) {
        self.endpoint = endpoint
        self.pack = pack
        self.identity = identity
        self.password = password
        self.broadcastPeriods = broadcastPeriods
        self.can = can
        self.journalPath = journalPath
        self.faults = faults
        self.timeScale = timeScale
    }
}
