// Server state of the knowledge pages: one hook per API resource, keyed by it.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api } from "../api/client";
import type { KbDocument, KnowledgeBase, Pagination } from "../api/types";

export const kbKeys = {
  all: ["knowledge-bases"] as const,
  one: (id: string) => ["knowledge-bases", id] as const,
  documents: (id: string, search = "") => ["knowledge-bases", id, "documents", search] as const,
};

export function useKnowledgeBases() {
  return useQuery({
    queryKey: kbKeys.all,
    queryFn: () => api<{ knowledge_bases: KnowledgeBase[] }>("/api/v1/knowledge-bases").then((r) => r.knowledge_bases),
  });
}

export function useKnowledgeBase(id: string) {
  return useQuery({ queryKey: kbKeys.one(id), queryFn: () => api<KnowledgeBase>(`/api/v1/knowledge-bases/${id}`) });
}

/** Asked again every 1.5 s while a document is still processing: there is no document event stream yet. */
export function useDocuments(kbId: string, search: string) {
  return useQuery({
    queryKey: kbKeys.documents(kbId, search),
    queryFn: () =>
      api<{ documents: KbDocument[]; pagination: Pagination }>(
        `/api/v1/knowledge-bases/${kbId}/documents?limit=100${search ? `&search=${encodeURIComponent(search)}` : ""}`,
      ),
    refetchInterval: (q) => (q.state.data?.documents.some((d) => d.processing_status === "pending" || d.processing_status === "processing") ? 1500 : false),
  });
}

export function useCreateKnowledgeBase() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { name: string; description?: string; audience?: "public" | "internal" }) => api<KnowledgeBase>("/api/v1/knowledge-bases", { json: body }),
    onSuccess: () => qc.invalidateQueries({ queryKey: kbKeys.all }),
  });
}

export function useDocumentAction(kbId: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ id, action }: { id: string; action: "reprocess" | "delete" }) =>
      action === "delete"
        ? api(`/api/v1/knowledge-bases/${kbId}/documents/${id}`, { method: "DELETE" })
        : api(`/api/v1/knowledge-bases/${kbId}/documents/${id}/reprocess`, { method: "POST" }),
    onSuccess: () => qc.invalidateQueries({ queryKey: kbKeys.one(kbId) }),
  });
}

/** PUT /api/v1/knowledge-bases/{id}: name, description or audience after creation. */
export function useUpdateKnowledgeBase(id: string) {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { name?: string; description?: string; audience?: "public" | "internal" }) => api<KnowledgeBase>(`/api/v1/knowledge-bases/${id}`, { method: "PUT", json: body }),
    onSuccess: (kb) => {
      qc.setQueryData(kbKeys.one(id), kb);
      void qc.invalidateQueries({ queryKey: kbKeys.all, exact: true });
    },
  });
}
