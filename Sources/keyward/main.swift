import KeywardCLI

await KeywardCommand.runMain()
