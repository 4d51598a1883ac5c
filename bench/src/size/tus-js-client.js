export * from "tus-js-client";
