// swift-tools-version:6.0
// defragscope: watch GPU-style memory defragmentation, pass by pass.
//
// Layers, each importing only those below it (see README "Architecture"):
//   defragscope (CLI: parses, chooses, prints) → TerminalUI, Benchmarks → Reports, Visualizer → DefragSession
//   → MemoryPools (beside it: Workloads, VulkanPageDevice, which the CLI joins to a session)
//   → Defragmentation → MemoryMetadata
// Every target lists each module its files import (not only the lowest), so no import works by accident.
import PackageDescription

let engineSettings: [SwiftSetting] = [
    // No unsafe flags: a package that depends on this one by version could not build it otherwise. The
    // hot paths get their speed from the code itself (OwnedBuffer, `@exclusivity(unchecked)` on the
    // tables' stored properties, `@inlinable` where other modules specialise; README "Performance").
]

let package = Package(
    name: "defragscope",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "defragscope", targets: ["defragscope"]),
        .executable(name: "CustomBlockList", targets: ["CustomBlockList"]),
        .library(name: "DefragEngine", targets: ["MemoryMetadata", "Defragmentation"]),
        .library(name: "DefragscopeKit", targets: ["MemoryPools", "Workloads", "DefragSession", "Visualizer"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        // `swift package generate-documentation`: the engine modules' DocC catalogs (README "Documentation").
        .package(url: "https://github.com/swiftlang/swift-docc-plugin", from: "1.5.0"),
    ],
    targets: [
        // MARK: engine
        .target(name: "MemoryMetadata", swiftSettings: engineSettings),
        .target(name: "Defragmentation", dependencies: ["MemoryMetadata"], swiftSettings: engineSettings),

        // MARK: memory
        // Pattern fill and checksum, written to run fast even unoptimised (debug builds verify every byte).
        .target(name: "CByteKernels"),
        .target(name: "MemoryPools", dependencies: ["MemoryMetadata", "Defragmentation", "CByteKernels"], swiftSettings: engineSettings),
        .systemLibrary(name: "CVulkan", providers: [.apt(["libvulkan-dev"])]),
        .target(name: "VulkanPageDevice", dependencies: ["MemoryPools", "CVulkan"]),

        // MARK: inputs and runs
        .target(name: "Workloads", dependencies: ["MemoryMetadata", "MemoryPools"], swiftSettings: engineSettings),
        .target(name: "DefragSession", dependencies: ["MemoryMetadata", "Defragmentation", "MemoryPools"], swiftSettings: engineSettings),

        // MARK: presentation
        .target(name: "Visualizer", dependencies: ["MemoryMetadata", "Defragmentation", "MemoryPools", "DefragSession"]),
        .systemLibrary(name: "CNcursesw", providers: [.apt(["libncursesw5-dev"])]),
        .target(name: "TerminalUI", dependencies: ["DefragSession", "Visualizer", "CNcursesw"]),

        // MARK: reports and benchmarks (what `run` prints; what `bench` measures)
        .target(name: "Reports", dependencies: ["Defragmentation", "MemoryPools", "DefragSession"]),
        .target(name: "Benchmarks", dependencies: ["MemoryMetadata", "Defragmentation", "MemoryPools", "VulkanPageDevice", "Workloads",
                                                   "DefragSession", "Visualizer", "Reports"]),

        // MARK: the program
        .executableTarget(
            name: "defragscope",
            dependencies: [
                "Defragmentation", "MemoryPools", "VulkanPageDevice", "Workloads",
                "DefragSession", "Visualizer", "TerminalUI", "Reports", "Benchmarks",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: demos (Demos/README.md)
        .executableTarget(name: "CustomBlockList", dependencies: ["MemoryMetadata", "Defragmentation"], path: "Demos/CustomBlockList"),

        // MARK: tests
        .target(name: "TestSupport", dependencies: ["MemoryPools"], path: "Tests/TestSupport"),
        .testTarget(name: "MemoryMetadataTests", dependencies: ["MemoryMetadata", "TestSupport"]),
        .testTarget(name: "DefragmentationTests", dependencies: ["MemoryMetadata", "Defragmentation"]),
        .testTarget(name: "MemoryPoolsTests", dependencies: ["MemoryMetadata", "Defragmentation", "MemoryPools", "TestSupport"]),
        .testTarget(name: "WorkloadsTests", dependencies: ["MemoryMetadata", "MemoryPools", "Workloads"]),
        .testTarget(name: "DefragSessionTests", dependencies: ["DefragSession", "Defragmentation", "MemoryMetadata", "MemoryPools", "VulkanPageDevice", "Workloads", "TestSupport"]),
        .testTarget(name: "VisualizerTests", dependencies: ["MemoryMetadata", "Defragmentation", "MemoryPools", "DefragSession", "Visualizer", "Workloads"]),
        .testTarget(name: "VulkanPageDeviceTests", dependencies: ["VulkanPageDevice", "MemoryPools", "Defragmentation", "TestSupport"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports", "DefragSession", "Defragmentation", "MemoryPools", "Workloads", "TestSupport"]),
        .testTarget(name: "BenchmarksTests", dependencies: ["Benchmarks", "Reports", "Defragmentation", "DefragSession", "MemoryPools",
                                                           "VulkanPageDevice", "Workloads", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
