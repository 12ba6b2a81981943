from hfguard.cli import main

raise SystemExit(main())
