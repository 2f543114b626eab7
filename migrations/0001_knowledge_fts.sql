-- FTS5 (porter) index over knowledge chunks for the BM25 half of hybrid search. External content:
-- the text lives once, in knowledge_chunks; these triggers keep the index in step with it.
CREATE VIRTUAL TABLE `knowledge_chunks_fts` USING fts5(
  `content`, `heading`,
  content='knowledge_chunks', content_rowid='seq',
  tokenize='porter unicode61 remove_diacritics 2'
);
--> statement-breakpoint
CREATE TRIGGER `knowledge_chunks_ai` AFTER INSERT ON `knowledge_chunks` BEGIN
  INSERT INTO `knowledge_chunks_fts`(rowid, `content`, `heading`) VALUES (new.`seq`, new.`content`, new.`heading`);
END;
--> statement-breakpoint
CREATE TRIGGER `knowledge_chunks_ad` AFTER DELETE ON `knowledge_chunks` BEGIN
  INSERT INTO `knowledge_chunks_fts`(`knowledge_chunks_fts`, rowid, `content`, `heading`) VALUES ('delete', old.`seq`, old.`content`, old.`heading`);
END;
--> statement-breakpoint
CREATE TRIGGER `knowledge_chunks_au` AFTER UPDATE ON `knowledge_chunks` BEGIN
  INSERT INTO `knowledge_chunks_fts`(`knowledge_chunks_fts`, rowid, `content`, `heading`) VALUES ('delete', old.`seq`, old.`content`, old.`heading`);
  INSERT INTO `knowledge_chunks_fts`(rowid, `content`, `heading`) VALUES (new.`seq`, new.`content`, new.`heading`);
END;
