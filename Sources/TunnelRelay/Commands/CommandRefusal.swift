/// An operator's request the relay turns down (not a usage mistake: no usage is printed).
struct CommandRefusal: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
