import Foundation
import KeywardCore
import KeywardServer
import KeywardTesting
import Testing

@Suite("CPU affinity lists")
struct CPUSetTests {
    @Test("Cpus_allowed_list forms parse; anything else is nil")
    func parse() {
        #expect(CPUSet.parse(list: "0") == [0])
        #expect(CPUSet.parse(list: "\t0-3") == [0, 1, 2, 3])
        #expect(CPUSet.parse(list: "0-1,4,6-7") == [0, 1, 4, 6, 7])
        for bad in ["", "x", "3-1", "-1", "1-", "0-1-2", "99999999999999999999"] {
            #expect(CPUSet.parse(list: Substring(bad)) == nil, "\(bad)")
        }
    }

    @Test("this process's mask is read from /proc, and a configured count always wins")
    func ownMask() throws {
        let mine = try #require(CPUSet.allowed())
        #expect(mine.count == ProcessInfo.processInfo.activeProcessorCount)
        #expect(CPUSet.eventLoops(configured: 3, nioLoopCount: nil) == 3)
        #expect(CPUSet.eventLoops(configured: nil, nioLoopCount: "1") == nil)
        let dir = try TempDirectory("cpuset")
        defer { dir.remove() }
        let status = URL(fileURLWithPath: dir.file("status"))
        try Data("Name:\tx\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\n".utf8).write(to: status)
        #expect(CPUSet.allowed(statusFile: status.path) == [0, 1])
        #expect(CPUSet.allowed(statusFile: "/nonexistent") == nil)
    }
}
