from kbgen.cli import main

raise SystemExit(main())
