SELECT 'COR' AS sydtyp, CAST(correspond.cornum AS VARCHAR) AS sydkey, correspond.upddattim AS upd 
FROM correspond 
WHERE correspond.cornum >= 'K1' AND correspond.cornum <= 'K9'
