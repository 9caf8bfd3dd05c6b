SELECT anon_1.sydtyp, anon_1.sydkey, anon_1.upd 
FROM (SELECT anon_2.sydtyp AS sydtyp, anon_2.sydkey AS sydkey, anon_2.upd AS upd 
FROM (SELECT 'COR' AS sydtyp, CAST(correspond.cornum AS VARCHAR) AS sydkey, correspond.upddattim AS upd 
FROM correspond 
WHERE correspond.cornum IN (SELECT btask.tskcor 
FROM btask 
WHERE btask.tskrep = 'R1' AND btask.salfcy IN (SELECT facility.fcy 
FROM facility 
WHERE facility.legcpy = 'FR10') AND btask.tskstr >= '2026-01-01') UNION SELECT 'COR' AS sydtyp, CAST(correspond.cornum AS VARCHAR) AS sydkey, correspond.upddattim AS upd 
FROM correspond 
WHERE correspond.cornum IN (SELECT bcall.cllcor 
FROM bcall 
WHERE bcall.cllrep = 'R1' AND bcall.salfcy IN (SELECT facility.fcy 
FROM facility 
WHERE facility.legcpy = 'FR10')) UNION SELECT 'COR' AS sydtyp, CAST(correspond.cornum AS VARCHAR) AS sydkey, correspond.upddattim AS upd 
FROM correspond 
WHERE correspond.cornum IN (SELECT anon_3.aptcor_0 
FROM (SELECT bappoint.aptcor_0 AS aptcor_0 
FROM bappoint 
WHERE (bappoint.atprepmna = 'R1' OR bappoint.aptrepnum_0 = 'R1' OR bappoint.aptrepnum_1 = 'R1' OR bappoint.aptrepnum_2 = 'R1' OR bappoint.aptrepnum_3 = 'R1' OR bappoint.aptrepnum_4 = 'R1' OR bappoint.aptrepnum_5 = 'R1' OR bappoint.aptrepnum_6 = 'R1' OR bappoint.aptrepnum_7 = 'R1' OR bappoint.aptrepnum_8 = 'R1' OR bappoint.aptrepnum_9 = 'R1') AND bappoint.salfcy IN (SELECT facility.fcy 
FROM facility 
WHERE facility.legcpy = 'FR10') UNION ALL SELECT bappoint.aptcor_1 AS aptcor_1 
FROM bappoint 
WHERE (bappoint.atprepmna = 'R1' OR bappoint.aptrepnum_0 = 'R1' OR bappoint.aptrepnum_1 = 'R1' OR bappoint.aptrepnum_2 = 'R1' OR bappoint.aptrepnum_3 = 'R1' OR bappoint.aptrepnum_4 = 'R1' OR bappoint.aptrepnum_5 = 'R1' OR bappoint.aptrepnum_6 = 'R1' OR bappoint.aptrepnum_7 = 'R1' OR bappoint.aptrepnum_8 = 'R1' OR bappoint.aptrepnum_9 = 'R1') AND bappoint.salfcy IN (SELECT facility.fcy 
FROM facility 
WHERE facility.legcpy = 'FR10') UNION ALL SELECT bappoint.aptcor_2 AS aptcor_2 
FROM bappoint 
WHERE (bappoint.atprepmna = 'R1' OR bappoint.aptrepnum_0 = 'R1' OR bappoint.aptrepnum_1 = 'R1' OR bappoint.aptrepnum_2 = 'R1' OR bappoint.aptrepnum_3 = 'R1' OR bappoint.aptrepnum_4 = 'R1' OR bappoint.aptrepnum_5 = 'R1' OR bappoint.aptrepnum_6 = 'R1' OR bappoint.aptrepnum_7 = 'R1' OR bappoint.aptrepnum_8 = 'R1' OR bappoint.aptrepnum_9 = 'R1') AND bappoint.salfcy IN (SELECT facility.fcy 
FROM facility 
WHERE facility.legcpy = 'FR10') UNION ALL SELECT bappoint.aptcor_3 AS aptcor_3 
FROM bappoint 
WHERE (bappoint.atprepmna = 'R1' OR bappoint.aptrepnum_0 = 'R1' OR bappoint.aptrepnum_1 = 'R1' OR bappoint.aptrepnum_2 = 'R1' OR bappoint.aptrepnum_3 = 'R1' OR bappoint.aptrepnum_4 = 'R1' OR bappoint.aptrepnum_5 = 'R1' OR bappoint.aptrepnum_6 = 'R1' OR bappoint.aptrepnum_7 = 'R1' OR bappoint.aptrepnum_8 = 'R1' OR bappoint.aptrepnum_9 = 'R1') AND bappoint.salfcy IN (SELECT facility.fcy 
FROM facility 
WHERE facility.legcpy = 'FR10') UNION ALL SELECT bappoint.aptcor_4 AS aptcor_4 
FROM bappoint 
WHERE (bappoint.atprepmna = 'R1' OR bappoint.aptrepnum_0 = 'R1' OR bappoint.aptrepnum_1 = 'R1' OR bappoint.aptrepnum_2 = 'R1' OR bappoint.aptrepnum_3 = 'R1' OR bappoint.aptrepnum_4 = 'R1' OR bappoint.aptrepnum_5 = 'R1' OR bappoint.aptrepnum_6 = 'R1' OR bappoint.aptrepnum_7 = 'R1' OR bappoint.aptrepnum_8 = 'R1' OR bappoint.aptrepnum_9 = 'R1') AND bappoint.salfcy IN (SELECT facility.fcy 
FROM facility 
WHERE facility.legcpy = 'FR10') UNION ALL SELECT bappoint.aptcor_5 AS aptcor_5 
FROM bappoint 
WHERE (bappoint.atprepmna = 'R1' OR bappoint.aptrepnum_0 = 'R1' OR bappoint.aptrepnum_1 = 'R1' OR bappoint.aptrepnum_2 = 'R1' OR bappoint.aptrepnum_3 = 'R1' OR bappoint.aptrepnum_4 = 'R1' OR bappoint.aptrepnum_5 = 'R1' OR bappoint.aptrepnum_6 = 'R1' OR bappoint.aptrepnum_7 = 'R1' OR bappoint.aptrepnum_8 = 'R1' OR bappoint.aptrepnum_9 = 'R1') AND bappoint.salfcy IN (SELECT facility.fcy 
FROM facility 
WHERE facility.legcpy = 'FR10') UNION ALL SELECT bappoint.aptcor_6 AS aptcor_6 
FROM bappoint 
WHERE (bappoint.atprepmna = 'R1' OR bappoint.aptrepnum_0 = 'R1' OR bappoint.aptrepnum_1 = 'R1' OR bappoint.aptrepnum_2 = 'R1' OR bappoint.aptrepnum_3 = 'R1' OR bappoint.aptrepnum_4 = 'R1' OR bappoint.aptrepnum_5 = 'R1' OR bappoint.aptrepnum_6 = 'R1' OR bappoint.aptrepnum_7 = 'R1' OR bappoint.aptrepnum_8 = 'R1' OR bappoint.aptrepnum_9 = 'R1') AND bappoint.salfcy IN (SELECT facility.fcy 
FROM facility 
WHERE facility.legcpy = 'FR10') UNION ALL SELECT bappoint.aptcor_7 AS aptcor_7 
FROM bappoint 
WHERE (bappoint.atprepmna = 'R1' OR bappoint.aptrepnum_0 = 'R1' OR bappoint.aptrepnum_1 = 'R1' OR bappoint.aptrepnum_2 = 'R1' OR bappoint.aptrepnum_3 = 'R1' OR bappoint.aptrepnum_4 = 'R1' OR bappoint.aptrepnum_5 = 'R1' OR bappoint.aptrepnum_6 = 'R1' OR bappoint.aptrepnum_7 = 'R1' OR bappoint.aptrepnum_8 = 'R1' OR bappoint.aptrepnum_9 = 'R1') AND bappoint.salfcy IN (SELECT facility.fcy 
FROM facility 
WHERE facility.legcpy = 'FR10') UNION ALL SELECT bappoint.aptcor_8 AS aptcor_8 
FROM bappoint 
WHERE (bappoint.atprepmna = 'R1' OR bappoint.aptrepnum_0 = 'R1' OR bappoint.aptrepnum_1 = 'R1' OR bappoint.aptrepnum_2 = 'R1' OR bappoint.aptrepnum_3 = 'R1' OR bappoint.aptrepnum_4 = 'R1' OR bappoint.aptrepnum_5 = 'R1' OR bappoint.aptrepnum_6 = 'R1' OR bappoint.aptrepnum_7 = 'R1' OR bappoint.aptrepnum_8 = 'R1' OR bappoint.aptrepnum_9 = 'R1') AND bappoint.salfcy IN (SELECT facility.fcy 
FROM facility 
WHERE facility.legcpy = 'FR10') UNION ALL SELECT bappoint.aptcor_9 AS aptcor_9 
FROM bappoint 
WHERE (bappoint.atprepmna = 'R1' OR bappoint.aptrepnum_0 = 'R1' OR bappoint.aptrepnum_1 = 'R1' OR bappoint.aptrepnum_2 = 'R1' OR bappoint.aptrepnum_3 = 'R1' OR bappoint.aptrepnum_4 = 'R1' OR bappoint.aptrepnum_5 = 'R1' OR bappoint.aptrepnum_6 = 'R1' OR bappoint.aptrepnum_7 = 'R1' OR bappoint.aptrepnum_8 = 'R1' OR bappoint.aptrepnum_9 = 'R1') AND bappoint.salfcy IN (SELECT facility.fcy 
FROM facility 
WHERE facility.legcpy = 'FR10')) AS anon_3) UNION SELECT 'COR' AS sydtyp, CAST(correspond.cornum AS VARCHAR) AS sydkey, correspond.upddattim AS upd 
FROM correspond 
WHERE correspond.cortyp = 2 AND correspond.repnum IN (SELECT anon_4.aptrepnum_0 
FROM (SELECT bappoint.aptrepnum_0 AS aptrepnum_0 
FROM bappoint 
WHERE (bappoint.atprepmna = 'R1' OR bappoint.aptrepnum_0 = 'R1' OR bappoint.aptrepnum_1 = 'R1' OR bappoint.aptrepnum_2 = 'R1' OR bappoint.aptrepnum_3 = 'R1' OR bappoint.aptrepnum_4 = 'R1' OR bappoint.aptrepnum_5 = 'R1' OR bappoint.aptrepnum_6 = 'R1' OR bappoint.aptrepnum_7 = 'R1' OR bappoint.aptrepnum_8 = 'R1' OR bappoint.aptrepnum_9 = 'R1') AND bappoint.salfcy IN (SELECT facility.fcy 
FROM facility 
WHERE facility.legcpy = 'FR10') UNION ALL SELECT bappoint.aptrepnum_1 AS aptrepnum_1 
FROM bappoint 
WHERE (bappoint.atprepmna = 'R1' OR bappoint.aptrepnum_0 = 'R1' OR bappoint.aptrepnum_1 = 'R1' OR bappoint.aptrepnum_2 = 'R1' OR bappoint.aptrepnum_3 = 'R1' OR bappoint.aptrepnum_4 = 'R1' OR bappoint.aptrepnum_5 = 'R1' OR bappoint.aptrepnum_6 = 'R1' OR bappoint.aptrepnum_7 = 'R1' OR bappoint.aptrepnum_8 = 'R1' OR bappoint.aptrepnum_9 = 'R1') AND bappoint.salfcy IN (SELECT facility.fcy 
FROM facility 
WHERE facility.legcpy = 'FR10') UNION ALL SELECT bappoint.aptrepnum_2 AS aptrepnum_2 
FROM bappoint 
WHERE (bappoint.atprepmna = 'R1' OR bappoint.aptrepnum_0 = 'R1' OR bappoint.aptrepnum_1 = 'R1' OR bappoint.aptrepnum_2 = 'R1' OR bappoint.aptrepnum_3 = 'R1' OR bappoint.aptrepnum_4 = 'R1' OR bappoint.aptrepnum_5 = 'R1' OR bappoint.aptrepnum_6 = 'R1' OR bappoint.aptrepnum_7 = 'R1' OR bappoint.aptrepnum_8 = 'R1' OR bappoint.aptrepnum_9 = 'R1') AND bappoint.salfcy IN (SELECT facility.fcy 
FROM facility 
WHERE facility.legcpy = 'FR10') UNION ALL SELECT bappoint.aptrepnum_3 AS aptrepnum_3 
FROM bappoint 
WHERE (bappoint.atprepmna = 'R1' OR bappoint.aptrepnum_0 = 'R1' OR bappoint.aptrepnum_1 = 'R1' OR bappoint.aptrepnum_2 = 'R1' OR bappoint.aptrepnum_3 = 'R1' OR bappoint.aptrepnum_4 = 'R1' OR bappoint.aptrepnum_5 = 'R1' OR bappoint.aptrepnum_6 = 'R1' OR bappoint.aptrepnum_7 = 'R1' OR bappoint.aptrepnum_8 = 'R1' OR bappoint.aptrepnum_9 = 'R1') AND bappoint.salfcy IN (SELECT facility.fcy 
FROM facility 
WHERE facility.legcpy = 'FR10') UNION ALL SELECT bappoint.aptrepnum_4 AS aptrepnum_4 
FROM bappoint 
WHERE (bappoint.atprepmna = 'R1' OR bappoint.aptrepnum_0 = 'R1' OR bappoint.aptrepnum_1 = 'R1' OR bappoint.aptrepnum_2 = 'R1' OR bappoint.aptrepnum_3 = 'R1' OR bappoint.aptrepnum_4 = 'R1' OR bappoint.aptrepnum_5 = 'R1' OR bappoint.aptrepnum_6 = 'R1' OR bappoint.aptrepnum_7 = 'R1' OR bappoint.aptrepnum_8 = 'R1' OR bappoint.aptrepnum_9 = 'R1') AND bappoint.salfcy IN (SELECT facility.fcy 
FROM facility 
WHERE facility.legcpy = 'FR10') UNION ALL SELECT bappoint.aptrepnum_5 AS aptrepnum_5 
FROM bappoint 
WHERE (bappoint.atprepmna = 'R1' OR bappoint.aptrepnum_0 = 'R1' OR bappoint.aptrepnum_1 = 'R1' OR bappoint.aptrepnum_2 = 'R1' OR bappoint.aptrepnum_3 = 'R1' OR bappoint.aptrepnum_4 = 'R1' OR bappoint.aptrepnum_5 = 'R1' OR bappoint.aptrepnum_6 = 'R1' OR bappoint.aptrepnum_7 = 'R1' OR bappoint.aptrepnum_8 = 'R1' OR bappoint.aptrepnum_9 = 'R1') AND bappoint.salfcy IN (SELECT facility.fcy 
FROM facility 
WHERE facility.legcpy = 'FR10') UNION ALL SELECT bappoint.aptrepnum_6 AS aptrepnum_6 
FROM bappoint 
WHERE (bappoint.atprepmna = 'R1' OR bappoint.aptrepnum_0 = 'R1' OR bappoint.aptrepnum_1 = 'R1' OR bappoint.aptrepnum_2 = 'R1' OR bappoint.aptrepnum_3 = 'R1' OR bappoint.aptrepnum_4 = 'R1' OR bappoint.aptrepnum_5 = 'R1' OR bappoint.aptrepnum_6 = 'R1' OR bappoint.aptrepnum_7 = 'R1' OR bappoint.aptrepnum_8 = 'R1' OR bappoint.aptrepnum_9 = 'R1') AND bappoint.salfcy IN (SELECT facility.fcy 
FROM facility 
WHERE facility.legcpy = 'FR10') UNION ALL SELECT bappoint.aptrepnum_7 AS aptrepnum_7 
FROM bappoint 
WHERE (bappoint.atprepmna = 'R1' OR bappoint.aptrepnum_0 = 'R1' OR bappoint.aptrepnum_1 = 'R1' OR bappoint.aptrepnum_2 = 'R1' OR bappoint.aptrepnum_3 = 'R1' OR bappoint.aptrepnum_4 = 'R1' OR bappoint.aptrepnum_5 = 'R1' OR bappoint.aptrepnum_6 = 'R1' OR bappoint.aptrepnum_7 = 'R1' OR bappoint.aptrepnum_8 = 'R1' OR bappoint.aptrepnum_9 = 'R1') AND bappoint.salfcy IN (SELECT facility.fcy 
FROM facility 
WHERE facility.legcpy = 'FR10') UNION ALL SELECT bappoint.aptrepnum_8 AS aptrepnum_8 
FROM bappoint 
WHERE (bappoint.atprepmna = 'R1' OR bappoint.aptrepnum_0 = 'R1' OR bappoint.aptrepnum_1 = 'R1' OR bappoint.aptrepnum_2 = 'R1' OR bappoint.aptrepnum_3 = 'R1' OR bappoint.aptrepnum_4 = 'R1' OR bappoint.aptrepnum_5 = 'R1' OR bappoint.aptrepnum_6 = 'R1' OR bappoint.aptrepnum_7 = 'R1' OR bappoint.aptrepnum_8 = 'R1' OR bappoint.aptrepnum_9 = 'R1') AND bappoint.salfcy IN (SELECT facility.fcy 
FROM facility 
WHERE facility.legcpy = 'FR10') UNION ALL SELECT bappoint.aptrepnum_9 AS aptrepnum_9 
FROM bappoint 
WHERE (bappoint.atprepmna = 'R1' OR bappoint.aptrepnum_0 = 'R1' OR bappoint.aptrepnum_1 = 'R1' OR bappoint.aptrepnum_2 = 'R1' OR bappoint.aptrepnum_3 = 'R1' OR bappoint.aptrepnum_4 = 'R1' OR bappoint.aptrepnum_5 = 'R1' OR bappoint.aptrepnum_6 = 'R1' OR bappoint.aptrepnum_7 = 'R1' OR bappoint.aptrepnum_8 = 'R1' OR bappoint.aptrepnum_9 = 'R1') AND bappoint.salfcy IN (SELECT facility.fcy 
FROM facility 
WHERE facility.legcpy = 'FR10')) AS anon_4)) AS anon_2 UNION ALL SELECT 'TSK' AS sydtyp, CAST(btask.tsknum AS VARCHAR) AS sydkey, btask.upddattim AS upd 
FROM btask 
WHERE btask.tskrep = 'R1' AND btask.salfcy IN (SELECT facility.fcy 
FROM facility 
WHERE facility.legcpy = 'FR10') AND btask.tskstr >= '2026-01-01' UNION ALL SELECT 'CLL' AS sydtyp, CAST(bcall.cllnum AS VARCHAR) AS sydkey, bcall.upddattim AS upd 
FROM bcall 
WHERE bcall.cllrep = 'R1' AND bcall.salfcy IN (SELECT facility.fcy 
FROM facility 
WHERE facility.legcpy = 'FR10') UNION ALL SELECT 'BAP' AS sydtyp, CAST(bappoint.aptnum AS VARCHAR) AS sydkey, bappoint.upddattim AS upd 
FROM bappoint 
WHERE (bappoint.atprepmna = 'R1' OR bappoint.aptrepnum_0 = 'R1' OR bappoint.aptrepnum_1 = 'R1' OR bappoint.aptrepnum_2 = 'R1' OR bappoint.aptrepnum_3 = 'R1' OR bappoint.aptrepnum_4 = 'R1' OR bappoint.aptrepnum_5 = 'R1' OR bappoint.aptrepnum_6 = 'R1' OR bappoint.aptrepnum_7 = 'R1' OR bappoint.aptrepnum_8 = 'R1' OR bappoint.aptrepnum_9 = 'R1') AND bappoint.salfcy IN (SELECT facility.fcy 
FROM facility 
WHERE facility.legcpy = 'FR10')) AS anon_1
