import Foundation
import NIOCore
import NIOPosix

/// Sets up every path (direct TCP, socat, stunnel, ssh -R, ours), measures them in turn and
/// tears everything down. A peer whose program is missing is left out and named; a failed
/// measurement is recorded and the run goes on.
struct PeersRun {
    let settings: PeersSettings

    func run() async throws -> PeersResults {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("tunnel-bench-peers-\(getpid())").path
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let deviceGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let agentGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        var results = PeersResults()
        var paths: [any PeerPath] = []
        var relay: RelayProcess?
        let device = try await DeviceServer.start(on: deviceGroup)
        do {
            paths.append(
                TCPChainPath(
                    name: "direct TCP (loopback)", commands: ["# the client dials the device end directly"], entryPort: device.port,
                    device: device, processes: [], clientGroup: clientGroup))
            paths.append(
                DirectPTYPath(device: try await PTYDevice.open(on: deviceGroup), deviceGroup: deviceGroup, clientGroup: clientGroup))
            progress("starting tunnel-relay serve and \(settings.sessions) agents")
            let started = try await RelayProcess.start(
                binary: settings.relayBinary, directory: directory + "/relay", threads: settings.relayThreads)
            relay = started
            var agents: [BenchAgent] = []
            for index in 0..<max(settings.sessions, 1) {
                agents.append(
                    try await BenchAgent.start(
                        deviceID: "bench-\(index)", relay: started, agentGroup: agentGroup, deviceGroup: deviceGroup))
            }
            let ours = OurTunnelPath(relay: started, agents: agents, clientTLS: try started.clientTLS(), clientGroup: clientGroup)
            results.ourPathName = ours.name
            for (peer, start) in peerStarters(relay: started, device: device, clientGroup: clientGroup, directory: directory) {
                progress("starting \(peer)")
                do {
                    paths.append(try await start())
                } catch {
                    results.leftOut.append("\(peer): \(error)")
                }
            }
            paths.append(ours)
            results.paths = paths.map { ($0.name, $0.commands) }
            try await measure(paths, into: &results)
            try await growth(ours, relay: started, into: &results)
            await rfc2217(into: &results)
            if !settings.agentSteps.isEmpty {
                // A relay of its own, so the memory of the sessions above does not blur the baseline.
                for path in paths { await path.stop() }
                paths.removeAll()
                await started.stop()
                relay = nil
                results.capacity = try await capacityRun(
                    directory: directory, agentGroup: agentGroup, deviceGroup: deviceGroup, clientGroup: clientGroup)
            }
        } catch {
            await stop(paths, relay: relay, device: device, groups: [clientGroup, deviceGroup, agentGroup], directory: directory)
            throw error
        }
        await stop(paths, relay: relay, device: device, groups: [clientGroup, deviceGroup, agentGroup], directory: directory)
        return results
    }

    /// pyserial through our RFC 2217 port against ser2net's (processes of their own).
    private func rfc2217(into results: inout PeersResults) async {
        guard settings.rfc2217RoundTrips > 0 else { return }
        let comparison = RFC2217Comparison(
            script: settings.rfc2217Script, binaries: URL(fileURLWithPath: settings.relayBinary).deletingLastPathComponent().path,
            roundTrips: settings.rfc2217RoundTrips, runs: settings.bench.runs)
        progress("RFC 2217: pyserial through tunnel-connect and through ser2net, \(settings.bench.runs) runs")
        results.rfc2217Command = comparison.commandLine
        do {
            results.rfc2217 = try await comparison.run()
        } catch {
            results.leftOut.append("RFC 2217 comparison: \(error)")
        }
    }

    /// Idle agents against a fresh `tunnel-relay serve` with one real agent to measure a
    /// session's round trip through.
    private func capacityRun(
        directory: String, agentGroup: any EventLoopGroup, deviceGroup: any EventLoopGroup, clientGroup: any EventLoopGroup
    ) async throws -> CapacityBench.Result {
        progress("capacity: starting a fresh tunnel-relay serve and one agent")
        let relay = try await RelayProcess.start(
            binary: settings.relayBinary, directory: directory + "/capacity-relay", threads: settings.relayThreads)
        do {
            let agent = try await BenchAgent.start(
                deviceID: "capacity-probe", relay: relay, agentGroup: agentGroup, deviceGroup: deviceGroup)
            let probe = OurTunnelPath(relay: relay, agents: [agent], clientTLS: try relay.clientTLS(), clientGroup: clientGroup)
            let capacity = CapacityBench(
                steps: settings.agentSteps, concurrency: settings.handshakeConcurrency, settleTime: .seconds(2),
                roundTrips: growthSettings)
            let result = try await capacity.run(
                relay: relay, tunnel: probe, fleetThreads: settings.generatorThreads, progress: progress)
            await probe.stop()
            await relay.stop()
            return result
        } catch {
            await relay.stop()
            throw error
        }
    }

    private var growthSettings: BenchSettings {
        BenchSettings(
            roundTrips: settings.growthRoundTrips, warmup: settings.bench.warmup,
            runs: 1, phaseTimeout: settings.bench.phaseTimeout)
    }

    private func peerStarters(
        relay: RelayProcess, device: DeviceServer, clientGroup: any EventLoopGroup, directory: String
    ) -> [(String, () async throws -> any PeerPath)] {
        func folder(_ name: String) throws -> String {
            let path = directory + "/" + name
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
            return path
        }
        return [
            ("socat", { try await SocatRelay.start(in: try folder("socat"), device: device, clientGroup: clientGroup) }),
            (
                "stunnel",
                {
                    try await StunnelChain.start(
                        in: try folder("stunnel"), certificate: relay.serverCertificatePath, key: relay.serverKeyPath,
                        ca: relay.serverCAPath, device: device, clientGroup: clientGroup)
                }
            ),
            ("ssh -R", { try await SSHReverseTunnel.start(in: try folder("ssh"), device: device, clientGroup: clientGroup) }),
        ]
    }

    /// Round trips (runs interleaved across paths, so a burst of machine load hits them all
    /// alike), session setup, then throughput with one and with many sessions.
    private func measure(_ paths: [any PeerPath], into results: inout PeersResults) async throws {
        let measurements = PeerMeasurements(settings: settings.bench)
        for run in 1...settings.bench.runs {
            for path in paths {
                progress("run \(run)/\(settings.bench.runs): \(path.name): round trips")
                do {
                    results.roundTrips[path.name, default: []].append(try await measurements.roundTrips(path))
                } catch {
                    results.failures.append("\(path.name) round trips, run \(run): \(error)")
                }
            }
        }
        for path in paths where !(path is DirectPTYPath) {
            progress("\(path.name): \(settings.setups) session setups")
            do {
                results.setups[path.name] = try await measurements.setup(path, count: settings.setups)
            } catch {
                results.failures.append("\(path.name) session setup: \(error)")
            }
        }
        let shapes = [(1, settings.bench.bulkBytes), (settings.sessions, settings.bytesPerConcurrentSession)]
        for (count, bytes) in shapes where count > 0 {
            for path in paths {
                for direction in PeerMeasurements.Direction.allCases {
                    progress("\(path.name): throughput, \(count) session(s), \(direction.rawValue)")
                    do {
                        let rate = try await measurements.throughput(path, sessions: count, bytesPerSession: bytes, direction: direction)
                        results.throughput[path.name, default: [:]][.init(sessions: count, direction: direction)] = rate
                    } catch {
                        results.failures.append("\(path.name) throughput, \(count) sessions, \(direction.rawValue): \(error)")
                    }
                }
            }
        }
    }

    /// Our tunnel with 1, 10, … `sessions` sessions open: the relay's memory and the round trip
    /// of one session while the others stay open and idle.
    private func growth(_ ours: OurTunnelPath, relay: RelayProcess, into results: inout PeersResults) async throws {
        let counts = [1, 10, 100, 1_000].filter { $0 <= settings.sessions } + (settings.sessions > 1 ? [settings.sessions] : [])
        for count in Set(counts).sorted() {
            progress("ours: round trips with \(count) session(s) open")
            var held: [PeerSession] = []
            do {
                for index in 1..<max(count, 1) { held.append(try await ours.openSession(index: index)) }
                try await Task.sleep(for: .seconds(1))
                let kib = relay.residentKiB()
                let rtt = try await PeerMeasurements(settings: growthSettings).roundTrips(ours)
                results.sessionGrowth.append((count, kib, rtt))
            } catch {
                results.failures.append("ours with \(count) sessions open: \(error)")
            }
            for session in held { await session.close() }
        }
    }

    private func stop(
        _ paths: [any PeerPath], relay: RelayProcess?, device: DeviceServer, groups: [MultiThreadedEventLoopGroup],
        directory: String
    ) async {
        for path in paths { await path.stop() }
        await relay?.stop()
        await device.stop()
        for group in groups { try? await group.shutdownGracefully() }
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// Progress goes to standard error, so standard output holds only the report.
    func progress(_ line: String) {
        FileHandle.standardError.write(Data("tunnel-bench peers: \(line)\n".utf8))
    }
}
