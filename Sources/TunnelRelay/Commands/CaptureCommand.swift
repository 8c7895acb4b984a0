import ArgumentParser
import Foundation
import SharedWire
import TunnelTransport

/// `tunnel-relay capture …`: the session captures recorded with `serve --capture`.
struct CaptureCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capture", abstract: "List session captures and print one as a transcript.",
        subcommands: [List.self, Show.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the captures in the data directory.")

        @OptionGroup var options: RelayOptions

        func run() throws {
            let directory = options.dataDirectory + "/captures"
            let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
            for file in files.sorted() where file.hasSuffix(".jsonl") {
                let size = (try? FileManager.default.attributesOfItem(atPath: "\(directory)/\(file)")[.size] as? Int) ?? 0
                print("\(file.dropLast(6))\t\(size) bytes")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a capture as a readable transcript: time, direction, each G1 sentence and its meaning.")

        @OptionGroup var options: RelayOptions

        @Argument(help: "A session ID (its capture in the data directory) or the path of a capture file.")
        var capture: String

        func run() throws {
            let path =
                FileManager.default.fileExists(atPath: capture)
                ? capture : options.dataDirectory + "/captures/\(capture).jsonl"
            for line in CaptureTranscript.render(try SessionCapture.read(path: path)) { print(line) }
        }
    }
}
