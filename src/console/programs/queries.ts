// Server state of the programs pages.
import { useQuery } from "@tanstack/react-query";
import { api } from "../api/client";
import type { Pagination, Program } from "../api/types";

export const programKeys = { all: ["programs"] as const, one: (id: string) => ["programs", id] as const };

export function usePrograms() {
  return useQuery({ queryKey: programKeys.all, queryFn: () => api<{ programs: Program[]; pagination: Pagination }>("/api/v1/programs?limit=100") });
}

export function useProgram(id: string) {
  return useQuery({ queryKey: programKeys.one(id), queryFn: () => api<Program>(`/api/v1/programs/${id}`) });
}
