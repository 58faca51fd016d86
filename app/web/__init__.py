"""The shared HTTP kit of both APIs (the plugin API and the lab's control plane)."""
