/// A G1 sentence with its meaning: the typed reading for each sentence the agent decodes,
/// a plain request, or another sentence kept as it is.
public enum G1Reading: Equatable, Sendable {
    case currentAndVoltage(G1CurrentAndVoltage)
    case cellVoltages(G1CellVoltageSummary)
    case temperatures(G1TemperatureSummary)
    case balancing(G1BalancingSummary)
    case cellGroup(G1CellGroup)
    case charge(G1ChargeState)
    case status(G1Status)
    case clock(G1ClockReading)
    case version(G1Version)
    case distanceAndEnergy(G1DistanceAndEnergy)
    case charger(G1ChargerStatus)
    case canDevices(G1CANDevices)
    case parameter(G1ConfigurationParameter)
    /// `NAME,?`: a request, not a reading.
    case request(G1Sentence)
    /// A sentence without a typed decoder here.
    case other(G1Sentence)

    /// Decodes `sentence`; throws `G1FieldError` when a field does not match its layout.
    public init(_ sentence: G1Sentence) throws {
        if sentence.isRequest {
            self = .request(sentence)
            return
        }
        switch sentence.name {
        case "CV1": self = .currentAndVoltage(try G1CurrentAndVoltage(sentence))
        case "BV1": self = .cellVoltages(try G1CellVoltageSummary(sentence))
        case "BT1", "BT3": self = .temperatures(try G1TemperatureSummary(sentence))
        case "BB1": self = .balancing(try G1BalancingSummary(sentence))
        case "BV2", "BT2", "BT4", "BB2": self = .cellGroup(try G1CellGroup(sentence))
        case "BC1": self = .charge(try G1ChargeState(sentence))
        case "ST1": self = .status(try G1Status(sentence))
        case "TD1": self = .clock(try G1ClockReading(sentence))
        case "VR1": self = .version(try G1Version(sentence))
        case "DT1": self = .distanceAndEnergy(try G1DistanceAndEnergy(sentence))
        case "CS1": self = .charger(try G1ChargerStatus(sentence))
        case "CG1": self = .canDevices(try G1CANDevices(sentence))
        case "CF2": self = .parameter(try G1ConfigurationParameter(sentence))
        default: self = .other(sentence)
        }
    }
}
