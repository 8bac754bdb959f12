export * from "./inventory";
export * from "./auth";
export * from "./audit";
export * from "./protocol";
export * from "./governance";
export * from "./rollouts";
export * from "./health";
