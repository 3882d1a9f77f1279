# The folder lister (lister.c), an N-API addon: one call lists a folder and lstats its children.
# N-API is ABI-stable, so the one build serves Node (CLI, daemon, tests) and Electron alike.
{
  "targets": [
    {
      "target_name": "tandem_lister",
      "sources": ["lister.c"],
      "cflags": ["-O2", "-Wall", "-Wextra"]
    }
  ]
}
