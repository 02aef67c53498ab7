from eccs.cli import main

main()
