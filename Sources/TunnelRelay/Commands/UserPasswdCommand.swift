import ArgumentParser
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

extension UserCommand {
    /// `tunnel-relay user passwd <user>`: sets the password the user signs in to the web
    /// console with. Read from the terminal without echo, or as one line from a pipe.
    struct Passwd: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set a user's web console password (read from standard input).",
            discussion: """
                On a terminal the password is asked for twice without echo; otherwise the first \
                line of standard input is the password. At least \(PasswordPolicy.minimumLength) characters. \
                Setting it signs the user out of every console session.
                """)

        @OptionGroup var options: RelayOptions

        @Argument(help: "User ID.")
        var userID: String

        func run() async throws {
            let password: String
            if isatty(STDIN_FILENO) != 0 {
                let first = try Self.readHidden(prompt: "New password for \(userID): ")
                let second = try Self.readHidden(prompt: "Again: ")
                guard first == second else { throw CommandRefusal("the two passwords differ; nothing was changed") }
                password = first
            } else {
                guard let line = readLine(strippingNewline: true) else {
                    throw CommandRefusal("no password on standard input: give it as the first line")
                }
                password = line
            }
            let hash: String
            do { hash = try PasswordPolicy.hash(password) } catch { throw CommandRefusal("\(error); nothing was changed") }
            try await options.withStore { try await $0.setPassword(userID: userID, hash: hash, at: Date(), by: cliActor) }
            print("Set the console password of \(userID)")
        }

        /// One line from the terminal with echo off (restored however it ends).
        static func readHidden(prompt: String) throws -> String {
            FileHandle.standardError.write(Data(prompt.utf8))
            var saved = termios()
            tcgetattr(STDIN_FILENO, &saved)
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(STDIN_FILENO, TCSANOW, &quiet)
            defer {
                tcsetattr(STDIN_FILENO, TCSANOW, &saved)
                FileHandle.standardError.write(Data("\n".utf8))
            }
            guard let line = readLine(strippingNewline: true) else { throw CommandRefusal("no password was typed") }
            return line
        }
    }
}
