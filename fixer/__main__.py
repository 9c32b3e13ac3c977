from fixer.cli import main

if __name__ == "__main__":  # not when a pool process imports the module that started the run
    main()
