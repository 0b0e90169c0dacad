"""Vietnamese text handling and the custom Rasa components that use it."""
