"""The bot's features, one extension each, loaded by `bot.client.KratomBot.setup_hook`."""
