"""Who this plugin is, as ``GET /info`` and ``GET /storage`` say."""

PLUGIN_ID = "mockarray"
PLUGIN_NAME = "mockarray simulated storage"
