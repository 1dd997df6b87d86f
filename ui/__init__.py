"""Streamlit-side helpers: session-state keys, cached wrappers around cvm_core, formatting widgets."""
