"""archc: the architecture compiler (see ARCHITECTURE.md for the stages)."""

import os

# pydantic looks for plugins in every installed distribution's entry points at the
# first model it builds (checkov's dependencies make that many); archc uses none.
# setdefault: a user who wants plugins can still set the variable.
os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
