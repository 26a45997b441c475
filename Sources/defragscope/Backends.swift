// Choosing the page device.
import MemoryPools

func makeVulkanDevice(_ options: BackendOptions) throws -> HostPageDevice {
    throw CLIError("--backend lavapipe is not wired yet")
}
