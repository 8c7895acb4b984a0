import ArgumentParser

/// Where an agent's files are: the options `run` and `factory-reset` share.
struct AgentFileOptions: ParsableArguments {
    @Option(help: "Path of settings.json.")
    var config: String = "/etc/tunnel-agent/settings.json"

    @Option(help: "Path of params_config.json (the copy shipped with the agent when the file is absent).")
    var params: String = "/etc/tunnel-agent/params_config.json"

    @Option(help: "Folder for the agent's state: telemetry queue, provisioned credentials, configuration from the portal.")
    var stateDir: String = "/var/lib/tunnel-agent"

    @Option(help: "Folder of the packaged settings.json and params_config.json a factory reset puts back.")
    var defaults: String = FactoryReset.packagedDefaults

    var paths: AgentPaths { AgentPaths(settings: config, params: params, stateDirectory: stateDir) }
}
