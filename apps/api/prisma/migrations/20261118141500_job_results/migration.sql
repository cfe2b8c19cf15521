-- CreateEnum
CREATE TYPE "JobStatus" AS ENUM ('SUCCEEDED', 'FAILED');

-- AlterTable
ALTER TABLE "matters" ADD COLUMN     "reference" TEXT;

-- CreateTable
CREATE TABLE "job_results" (
    "id" TEXT NOT NULL,
    "job_id" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "matter_id" TEXT,
    "status" "JobStatus" NOT NULL,
    "result" JSONB,
    "error" TEXT,
    "processed_at" TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "job_results_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE UNIQUE INDEX "job_results_job_id_key" ON "job_results"("job_id");

-- CreateIndex
CREATE INDEX "job_results_matter_id_idx" ON "job_results"("matter_id");

-- CreateIndex
CREATE UNIQUE INDEX "matters_reference_key" ON "matters"("reference");

-- AddForeignKey
ALTER TABLE "job_results" ADD CONSTRAINT "job_results_matter_id_fkey" FOREIGN KEY ("matter_id") REFERENCES "matters"("id") ON DELETE SET NULL ON UPDATE CASCADE;
