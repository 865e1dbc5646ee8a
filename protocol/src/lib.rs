//! Wire formats shared by the terminal and the escrow server.
