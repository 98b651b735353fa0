from hrom.cli.main import main

raise SystemExit(main())
