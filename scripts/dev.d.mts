// Types of scripts/dev.mjs for the e2e tests that import it.
export declare const DEMO: { creatorId: string; email: string; password: string; fullName: string; companyName: string };
export declare function hashPassword(password: string, iterations?: number): string;
export declare function argValue(args: string[], name: string): string | undefined;
export declare function seedSql(passwordHash: string): string;
export declare function prepareLocalDatabase(persistTo?: string): boolean;
export declare const SAMPLE_KB_NAME: string;
export declare function seedSampleKnowledge(url: string): Promise<number>;
