"""The app's screens: builder, stepper, trainer, and the modal dialogs (help, file path)."""
