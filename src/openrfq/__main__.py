from openrfq.cli import main

main()
