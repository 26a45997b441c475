// `bench --render`: frames per second of the UI's `render` for a synthetic pool.
import Foundation
import Reports
import Visualizer

public struct RenderSpeed: Sendable {
    public var pages = 256
    public var width = 200
    public var height = 60
    /// Frames per timed run.
    public var framesPerRun = 300

    public init(pages: Int = 256, width: Int = 200, height: Int = 60, framesPerRun: Int = 300) {
        self.pages = pages
        self.width = width
        self.height = height
        self.framesPerRun = framesPerRun
    }

    /// The `bench --render --json` record.
    public struct Result: Codable, Hashable, Sendable {
        public var render = true
        public var pages: Int
        public var width: Int
        public var height: Int
        public var framesPerSecondMedian: Double
        public var framesPerSecondMin: Double
        public var framesPerSecondMax: Double
        public var runs: Int
        public var framesPerRun: Int

        /// The figure as `bench --render` prints it.
        public var line: String {
            String(format: "render: %d pages at %d×%d: %.0f frames/s median (min %.0f, max %.0f, %d runs of %d frames)",
                   pages, width, height, framesPerSecondMedian, framesPerSecondMin, framesPerSecondMax, runs, framesPerRun)
        }
    }

    /// One warm-up, then `runs` timed runs (at least one).
    public func run(runs: Int) -> Result {
        let snapshot = RenderBenchmark.syntheticSnapshot(pages: pages)
        _ = RenderBenchmark.framesPerSecond(snapshot, width: width, height: height, iterations: max(1, framesPerRun / 6))
        let figures = (0..<max(1, runs)).map { _ in
            RenderBenchmark.framesPerSecond(snapshot, width: width, height: height, iterations: framesPerRun)
        }
        let spread = RunSpread(figures)
        return Result(pages: pages, width: width, height: height, framesPerSecondMedian: spread.median,
                      framesPerSecondMin: spread.min, framesPerSecondMax: spread.max, runs: figures.count, framesPerRun: framesPerRun)
    }
}
