/// The product's version, one number for every program: what the agent and tunnel-connect
/// say in their HELLO and the agent reports to the portal, and what `--version` prints.
public enum ProductVersion {
    public static let number = "0.1.0"

    /// `program/number`, as a HELLO's software field carries it.
    public static func software(_ program: String) -> String {
        "\(program)/\(number)"
    }
}
