import KeywardCLI

await KeywardCommand.runMain(revision: keywardRevision)
