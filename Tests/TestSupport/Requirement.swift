// What some tests need from the machine (tmux, a Vulkan driver) and what happens when it is missing: the
// test is skipped with the reason, unless DEFRAGSCOPE_REQUIRE_ALL=1 (.ci/run sets it), where it fails
// saying what is missing, so a CI run cannot pass by skipping.
import Foundation
import Testing

/// Something a test needs from the machine, with what to say when it is missing.
///
/// Attach it with `.requires(_:)`: `@Suite("watch in tmux", .requires(.tmux))`.
public struct Requirement: Sendable {
    /// What is missing and how to get it: "tmux is not on PATH (make test installs it)".
    public let missing: String
    /// Whether the machine has it. Evaluated when the test is about to run (never for tests a filter
    /// leaves out), so a probe may be costly; callers keep its result in a `static let`.
    public let isMet: @Sendable () -> Bool

    public init(missing: String, isMet: @escaping @Sendable () -> Bool) {
        self.missing = missing
        self.isMet = isMet
    }

    /// tmux on PATH (``TestPaths/tmux``).
    public static let tmux = Requirement(missing: "tmux is not on PATH (make test installs it)") { TestPaths.tmux != nil }

    /// A Vulkan device, as `isMet` finds one (each test target probes the way it uses the device: the
    /// library in process, or the built binary's `--backend lavapipe`).
    public static func vulkan(_ isMet: @escaping @Sendable () -> Bool) -> Requirement {
        Requirement(missing: "no Vulkan driver: install mesa-vulkan-drivers", isMet: isMet)
    }

    /// Whether `environment` asks for every requirement: `DEFRAGSCOPE_REQUIRE_ALL` set to anything but
    /// empty or `0`. A missing requirement then fails the test.
    public static func requireAll(in environment: [String: String] = ProcessInfo.processInfo.environment) -> Bool {
        guard let value = environment["DEFRAGSCOPE_REQUIRE_ALL"] else { return false }
        return !value.isEmpty && value != "0"
    }

    /// Whether a test that needs this runs: `true` when it is met, `false` (skip) when it is not, and
    /// under `requireAll` a thrown ``RequirementMissing`` (a failure) instead of the skip.
    public func check(requireAll: Bool = Requirement.requireAll()) throws -> Bool {
        if isMet() { return true }
        if requireAll { throw RequirementMissing(requirement: self) }
        return false
    }
}

/// The failure a test records, instead of running, when its requirement is missing under
/// `DEFRAGSCOPE_REQUIRE_ALL=1`.
public struct RequirementMissing: Error, CustomStringConvertible {
    public let requirement: Requirement

    public var description: String {
        "\(requirement.missing); DEFRAGSCOPE_REQUIRE_ALL=1 makes this a failure instead of a skip"
    }
}

extension Trait where Self == ConditionTrait {
    /// Runs the test or suite when `requirement` is met; otherwise skips it with the requirement's reason,
    /// or, under `DEFRAGSCOPE_REQUIRE_ALL=1`, fails it with a ``RequirementMissing`` issue without running it.
    public static func requires(_ requirement: Requirement, sourceLocation: SourceLocation = #_sourceLocation) -> Self {
        .enabled(Comment(rawValue: requirement.missing), sourceLocation: sourceLocation) { try requirement.check() }
    }
}

extension TestPaths {
    /// The first tmux on PATH, or nil.
    public static let tmux: String? = {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/tmux" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()
}
