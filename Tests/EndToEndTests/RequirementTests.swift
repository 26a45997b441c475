// TestSupport's Requirement: what a test that needs tmux or a Vulkan driver does when the machine lacks it.
// The whole path (a suite skipped with the reason; failed under DEFRAGSCOPE_REQUIRE_ALL=1 with tmux off
// PATH or VK_ICD_FILENAMES=/nonexistent) was checked by hand; these pin the decision it rests on.
import Testing
import TestSupport

@Suite("Requirement: skip with the reason, or fail under DEFRAGSCOPE_REQUIRE_ALL")
struct RequirementTests {
    static let present = Requirement(missing: "present is missing") { true }
    static let absent = Requirement(missing: "the frobnicator is not installed (apt-get install frobnicator)") { false }

    @Test func aMetRequirementRunsTheTestEitherWay() throws {
        #expect(try Self.present.check(requireAll: false))
        #expect(try Self.present.check(requireAll: true))
    }

    @Test func aMissingRequirementSkipsLocally() throws {
        #expect(try Self.absent.check(requireAll: false) == false)
    }

    @Test func aMissingRequirementFailsUnderRequireAllSayingWhatIsMissing() throws {
        let error = #expect(throws: RequirementMissing.self) { try Self.absent.check(requireAll: true) }
        #expect(error?.description == "the frobnicator is not installed (apt-get install frobnicator); DEFRAGSCOPE_REQUIRE_ALL=1 makes this a failure instead of a skip")
    }

    @Test("DEFRAGSCOPE_REQUIRE_ALL: any value but empty or 0 requires all", arguments: [
        ([:], false), (["DEFRAGSCOPE_REQUIRE_ALL": ""], false), (["DEFRAGSCOPE_REQUIRE_ALL": "0"], false),
        (["DEFRAGSCOPE_REQUIRE_ALL": "1"], true), (["DEFRAGSCOPE_REQUIRE_ALL": "yes"], true),
    ] as [([String: String], Bool)])
    func theVariable(environment: [String: String], expected: Bool) {
        #expect(Requirement.requireAll(in: environment) == expected)
    }

    @Test("the trait skips with the requirement's reason as its comment, and evaluates as check() does")
    func theTrait() async throws {
        let trait: ConditionTrait = .requires(Self.absent)
        #expect(trait.comments.map(\.rawValue) == [Self.absent.missing])
        if Requirement.requireAll() {
            await #expect(throws: RequirementMissing.self) { try await trait.evaluate() }
        } else {
            #expect(try await trait.evaluate() == false)
        }
        #expect(try await ConditionTrait.requires(Self.present).evaluate())
    }
}
