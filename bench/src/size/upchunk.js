export * from "@mux/upchunk";
