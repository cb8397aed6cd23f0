"""The Flet views. Each screen is a function of (shell, …) that returns controls; the shell swaps
them and keeps a back stack. Views read the state (field_app.app_state) and call its actions."""
