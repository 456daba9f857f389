"""Channel-independent SMS layer: Persian text normalisation, part counting, Kavenegar client."""
