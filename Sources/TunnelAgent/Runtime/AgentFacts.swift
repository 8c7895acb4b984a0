import Foundation
import NIOConcurrencyHelpers

/// What the agent knows about itself and the BMS, for client attributes and `agent.status`.
/// Written by the parts that learn each fact; read by the uplink.
public final class AgentFacts: Sendable {
    public struct Snapshot: Sendable, Equatable {
        /// The BMS's firmware version and serial number, from its VR1 sentence.
        public var bmsFirmware: String?
        public var bmsSerialNumber: String?
        public var bmsHardware: String?
        /// The latest text value of each telemetry key (STRING params), sent as client
        /// attributes so that ThingsBoard keeps them strings.
        public var bmsTexts: [String: String] = [:]
        /// True while the control connection to the relay is up.
        public var relayConnected = false {
            didSet { if relayConnected != oldValue { relayConnectedSince = relayConnected ? Date() : nil } }
        }
        /// Since when the control connection, and the MQTT connection, have been up.
        public var relayConnectedSince: Date?
        public var brokerConnectedSince: Date?
        /// True while the serial line is open.
        public var serialOpen = false
        /// SHA-256 (hex) of the settings.json and params_config.json in effect.
        public var configurationHash = ""
        /// Why the last shared-attribute configuration was refused; nil after an accepted one.
        public var lastConfigurationRefusal: String?
        /// The device certificate in use towards the relay: its serial and when it expires.
        public var certificateSerial: String?
        public var certificateNotAfter: Date?
        /// True while the MQTT connection is up (after CONNACK 0).
        public var brokerConnected = false {
            didSet { if brokerConnected != oldValue { brokerConnectedSince = brokerConnected ? Date() : nil } }
        }
        /// When the BMS last sent a valid sentence.
        public var lastBMSSentence: Date?
        /// Valid sentences from the BMS, and lines that were not (noise, CRC errors), since the
        /// serial line was opened.
        public var bmsSentences = 0
        public var bmsInvalidLines = 0
    }

    private let state = NIOLockedValueBox(Snapshot())

    public init() {}

    public var snapshot: Snapshot { state.withLockedValue { $0 } }

    public func update(_ change: (inout Snapshot) -> Void) {
        state.withLockedValue { change(&$0) }
    }
}
