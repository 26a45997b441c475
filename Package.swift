// swift-tools-version:6.0
// defragscope: watch GPU-style memory defragmentation, pass by pass.
//
// Layers, each importing only those below it (see README "Architecture"):
//   defragscope (CLI) → TerminalUI → Visualizer → DefragSession → Workloads / VulkanPageDevice
//   → MemoryPools → Defragmentation → MemoryMetadata
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
        .target(name: "Workloads", dependencies: ["MemoryPools"], swiftSettings: engineSettings),
        .target(name: "DefragSession", dependencies: ["Defragmentation", "MemoryPools", "Workloads"], swiftSettings: engineSettings),

        // MARK: presentation
        .target(name: "Visualizer", dependencies: ["DefragSession"]),
        .systemLibrary(name: "CNcursesw", providers: [.apt(["libncursesw5-dev"])]),
        .target(name: "TerminalUI", dependencies: ["Visualizer", "CNcursesw"]),

        // MARK: the program
        .executableTarget(
            name: "defragscope",
            dependencies: [
                "MemoryMetadata", "Defragmentation", "MemoryPools", "VulkanPageDevice", "Workloads",
                "DefragSession", "Visualizer", "TerminalUI",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // MARK: demos (Demos/README.md)
        .executableTarget(name: "CustomBlockList", dependencies: ["MemoryMetadata", "Defragmentation"], path: "Demos/CustomBlockList"),

        // MARK: tests
        .target(name: "TestSupport", dependencies: ["MemoryMetadata", "Defragmentation", "MemoryPools", "Workloads", "DefragSession"], path: "Tests/TestSupport"),
        .testTarget(name: "MemoryMetadataTests", dependencies: ["MemoryMetadata", "TestSupport"]),
        .testTarget(name: "DefragmentationTests", dependencies: ["MemoryMetadata", "Defragmentation", "TestSupport"]),
        .testTarget(name: "MemoryPoolsTests", dependencies: ["MemoryPools", "Defragmentation", "TestSupport"]),
        .testTarget(name: "WorkloadsTests", dependencies: ["Workloads", "MemoryPools", "TestSupport"]),
        .testTarget(name: "DefragSessionTests", dependencies: ["DefragSession", "Workloads", "TestSupport"]),
        .testTarget(name: "VisualizerTests", dependencies: ["Visualizer", "DefragSession", "Workloads", "TestSupport"]),
        .testTarget(name: "VulkanPageDeviceTests", dependencies: ["VulkanPageDevice", "MemoryPools", "Defragmentation", "TestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["TestSupport"]),
    ],
    swiftLanguageModes: [.v5]
)
