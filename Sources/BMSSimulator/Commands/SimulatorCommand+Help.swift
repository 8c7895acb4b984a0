/// The long help of `bms-sim --help`; docs/SIMULATOR.md says the same at more length.
extension SimulatorCommand {
    static let discussion = """
        Prints where it serves on standard output, then runs until SIGTERM or SIGINT. Every \
        answer is a valid G1 sentence (CRC-8, CR LF); lines with a bad CRC, unknown names and \
        forms it does not serve get no answer.

        READS (NAME,?): CV1 BV1 BT1 BT3 BB1 BC1 ST1 CS1 CG1 DT1 IN1 OT1 VR1 TD1, one line each; \
        BV2 BT2 BT4 BB2 one line per group of up to 8 cells per string \
        (string, first cell, group size, bytes); SS1 (one line per statistic: id, value, time), \
        LG1 (event log) and RS2 (reset history), one line per entry: index, count, code, \
        parameter, time; times are seconds since 2000-01-01. CF2,<id>,? reads a parameter.

        BROADCASTS: CV1 BV1 BC1 BT1 BB1 DT1 OT1 BT3 ST1, each every --broadcast-period seconds \
        (spread evenly over the period), or per sentence with --broadcast NAME=SECONDS.

        WRITES (the simulator's convention; the protocol reference is silent): an applied \
        write is answered with one line echoing it as applied; a refused one with \
        NAME,ERR,<reason>, reason one of LOGIN PASSWORD ID READONLY RANGE FORMAT UNSUPPORTED. \
        While a password is set, every write but PW1 needs a login first.
          CF2,<id>,<value>   write a parameter (hex) -> CF2,<id>,<value now>
          PW1,<password>     log in -> PW1,1 (PW1, logs out -> PW1,0; PW1,? asks)
          PW2,<password>     set the password (1-16 letters, digits) -> PW2,1
          PW2,               clear the password -> PW2,0
          SC1,<hex>          set the state of charge, 0.01 % -> SC1,<value>
          RC1                zero the current sensor -> RC1
          RS1                reset: uptime restarts, logged out -> RS1
          FD1                parameters back to their defaults -> FD1
          SS1,c / LG1,c      clear statistics / event log -> the same line
          TD1,y,m,d,h,min,s  set the clock (UTC) -> the TD1 reading
          TC1 TC2 CN2 CS2-4, OT1 with fields -> NAME,ERR,UNSUPPORTED

        PARAMETERS (CF2 ids, hex; the simulator's own table):
        \(BMSParameter.allCases.map { "  \(G1Field.hex(Int($0.rawValue), width: 4))  \($0.summary)" }.joined(separator: "\n"))

        PACK: cell voltages follow a lithium-ion curve with spread and IR drop; the current \
        profile moves the charge; temperatures follow I²R; charging runs stages 1-6 (pre-heat \
        below the minimum charging temperature, pre-charge, main, constant voltage with \
        balancing, finished, error); protections (under/over-voltage, over-current, overheat) \
        cut the current and power reductions halve the load, each with its limit a parameter.

        CAN (--can-pty): an slcan adapter on a second PTY. S0-S8 set the bit rate while \
        closed, O opens (needs a bit rate), C closes; answers CR (done) or BELL (refused). \
        While open the BMS sends 0x19B50000-03, 07, 08, 0500, 0600 and the per-cell groups \
        01gg/02gg/03gg/08gg every --can-period; a zero-length or remote frame on an ID asks \
        for that message, [idMSB,idLSB,size] on 0x19B50400 for a parameter.

        JOURNAL (--journal): one JSON object per received line: time, port (g1|can), line, \
        valid, applied, outcome (answered applied refused ignored invalid silenced), reason.

        FAULTS: --noise inserts garbage lines between sentences, --drop-bytes drops bytes of \
        what is sent, --answer-delay delays answers (not broadcasts), all on G1 only. While \
        silent (--silent-after, --silence-file) G1 lines are journaled as silenced but \
        neither applied nor answered, nothing is broadcast and no CAN frames go out (the \
        slcan adapter still answers S, O and C).
        """
}
