from meshlens.cli import main

main()
