"""Features, one module each; none of them knows which channel it is answering on."""
