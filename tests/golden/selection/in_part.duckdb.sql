SELECT anon_1.sydtyp, anon_1.sydkey, anon_1.upd 
FROM (SELECT 'COR' AS sydtyp, CAST(correspond.cornum AS VARCHAR) AS sydkey, correspond.upddattim AS upd 
FROM correspond 
WHERE correspond.cortyp = 1 AND correspond.cpybpatyp = 1 AND correspond.bprnum IN (SELECT bpcustomer.bpcnum 
FROM bpcustomer 
WHERE bpcustomer.bpcsta = 2 AND (bpcustomer.rep_0 = 'R1' OR bpcustomer.rep_1 = 'R1')) AND correspond.fnc IN (9) UNION SELECT 'COR' AS sydtyp, CAST(correspond.cornum AS VARCHAR) AS sydkey, correspond.upddattim AS upd 
FROM correspond 
WHERE correspond.cpybpatyp = 6 AND correspond.bprnum IN (SELECT lead.pstnum 
FROM lead 
WHERE lead.pstrep = 'R1') UNION SELECT 'COR' AS sydtyp, CAST(correspond.cornum AS VARCHAR) AS sydkey, correspond.upddattim AS upd 
FROM correspond 
WHERE correspond.cornum IN (SELECT correp.copnum 
FROM correp 
WHERE (correp.coprep COLLATE "C") >= 'R1')) AS anon_1
