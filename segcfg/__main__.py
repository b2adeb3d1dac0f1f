from segcfg.cli import main

main()
