import Crypto
import Foundation
import SwiftASN1

/// The checks a downloaded image passes before it is installed: its size and checksum as the
/// portal gave them, the vendor's signature when the gateway has a key, a Linux executable for
/// this machine, and an executable that starts and answers `--version`.
enum FirmwareImageCheck {
    /// What ends a signed image: the Ed25519 signature of everything before it, then this text.
    static let signatureMagic = Array("TUNNEL-AGENT-SIG".utf8)
    static let signatureLength = 64
    /// How long `--version` may take.
    static let startTimeout: Duration = .seconds(20)

    static func verify(_ path: String, target: FirmwareTarget, publicKey: String) throws {
        let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? -1
        guard size == target.size else {
            throw FirmwareFailure("the image has \(size) bytes, fw_size says \(target.size)")
        }
        let texts = FirmwareChecksum.accepted(
            try FirmwareChecksum.digest(file: path, algorithm: target.algorithm), algorithm: target.algorithm)
        guard FirmwareChecksum.contains(texts, target.checksum) else {
            throw FirmwareFailure(
                "checksum mismatch: the image's \(target.algorithm.rawValue) is \(texts[0]), fw_checksum says \(target.checksum)")
        }
        if !publicKey.isEmpty { try verifySignature(path, publicKeyFile: publicKey) }
    }

    /// The image ends with a valid signature by the key in `publicKeyFile` (PEM, Ed25519).
    static func verifySignature(_ path: String, publicKeyFile: String) throws {
        let key = try publicKey(publicKeyFile)
        guard let image = FileManager.default.contents(atPath: path) else { throw FirmwareFailure("the image \(path) cannot be read") }
        let trailer = signatureLength + signatureMagic.count
        guard image.count > trailer, Array(image.suffix(signatureMagic.count)) == signatureMagic else {
            throw FirmwareFailure(
                "the image is not signed, and this gateway takes only images signed with \(publicKeyFile) (ota.public_key)")
        }
        let signed = image.prefix(image.count - trailer)
        let signature = image.dropFirst(image.count - trailer).prefix(signatureLength)
        guard key.isValidSignature(signature, for: signed) else {
            throw FirmwareFailure("the image's signature does not match the key \(publicKeyFile) (ota.public_key)")
        }
    }

    /// The Ed25519 public key in a PEM file (`openssl pkey -pubout` writes one).
    static func publicKey(_ file: String) throws -> Curve25519.Signing.PublicKey {
        // SubjectPublicKeyInfo of an Ed25519 key: this DER prefix (algorithm 1.3.101.112), then the 32 key bytes.
        let prefix: [UInt8] = [0x30, 0x2A, 0x30, 0x05, 0x06, 0x03, 0x2B, 0x65, 0x70, 0x03, 0x21, 0x00]
        guard let text = try? String(contentsOfFile: file, encoding: .utf8),
            let document = try? PEMDocument(pemString: text), document.discriminator == "PUBLIC KEY",
            document.derBytes.count == prefix.count + 32, Array(document.derBytes.prefix(prefix.count)) == prefix,
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: document.derBytes.suffix(32))
        else {
            throw FirmwareFailure("ota.public_key \(file) is not a readable Ed25519 public key in PEM (openssl pkey -pubout)")
        }
        return key
    }

    /// The image is an executable for this machine.
    static func runsHere(_ path: String) throws {
        guard let image = FileHandle(forReadingAtPath: path), let own = FileHandle(forReadingAtPath: "/proc/self/exe") else {
            throw FirmwareFailure("the image or this program's own executable cannot be read")
        }
        defer {
            try? image.close()
            try? own.close()
        }
        let header = try ELFHeader(try image.read(upToCount: ELFHeader.length) ?? Data())
        if let mismatch = header.mismatch(with: try ELFHeader(try own.read(upToCount: ELFHeader.length) ?? Data())) {
            throw FirmwareFailure(mismatch)
        }
    }

    /// The executable at `path` starts and answers `--version` with success.
    static func starts(_ path: String) async throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["--version"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        let ended = AsyncStream.makeStream(of: Int32.self)
        process.terminationHandler = { ended.continuation.yield($0.terminationStatus) }
        do {
            try process.run()
        } catch {
            throw FirmwareFailure("the new version cannot be started: \(error)")
        }
        let status = await withTaskGroup(of: Int32?.self) { group in
            group.addTask { await ended.stream.first { _ in true } }
            group.addTask {
                try? await Task.sleep(for: startTimeout)
                return nil
            }
            defer { group.cancelAll() }
            return await group.next() ?? nil
        }
        guard let status else {
            process.terminate()
            throw FirmwareFailure("the new version did not answer --version within \(startTimeout)")
        }
        guard status == 0 else { throw FirmwareFailure("the new version failed to start: --version ended with status \(status)") }
    }
}
